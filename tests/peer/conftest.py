"""The vendored moto suite is run only by `test_moto_sesv2.py`, against an emulator server:
collected directly, it would run under moto's own in-process mock, testing moto, not us."""

collect_ignore = ["moto_sesv2"]
