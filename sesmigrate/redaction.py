"""The one redaction of credentials from text sesmigrate writes anywhere.

An endpoint URL may carry a user and password (`http://user:pass@host/`), and a presigned
URL carries its key id and signature in the query string. botocore and urllib3 repeat the
URL in their exception messages, which reach error lines, the journal's error column, the
history and the call log. Every such message passes through `redact` on its way out, so
no artefact can hold them, whichever path the text took to get there.
"""

import re

MASK = "***"

_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/\s?#\"'<>]*@")
"""A URL's `user:password@`: everything between `scheme://` and the authority's last `@`."""

QUERY_CREDENTIALS = (
    "X-Amz-Credential",
    "X-Amz-Signature",
    "X-Amz-Security-Token",
    "AWSAccessKeyId",
    "Signature",
)
"""Query parameters of presigned (SigV4 and SigV2) URLs that carry a credential."""

_QUERY = re.compile(
    r"(?i)([?&;](?:" + "|".join(re.escape(name) for name in QUERY_CREDENTIALS) + r")=)[^&#\s\"'<>]*"
)


def redact(text: str) -> str:
    """`text` with every URL's user name and password, and every credential in a URL's
    query string, replaced by `***`; the rest (host, port, path) stays to say where."""
    return _QUERY.sub(rf"\g<1>{MASK}", _USERINFO.sub(rf"\g<1>{MASK}@", text))
