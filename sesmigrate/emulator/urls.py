"""URL map of the emulated SES v2 service: every `/v2/` path goes to `EmulatorResponse`.

moto finds this module from the backend class's module name (`...models` -> `...urls`),
so the emulator's backend and responses serve both in-process mocks and the HTTP server.
"""

from moto.sesv2.urls import url_bases

from .responses import EmulatorResponse

__all__ = ["url_bases", "url_paths"]

url_paths = {
    "{0}/v2/(?P<path>.*)$": EmulatorResponse.dispatch,
}
