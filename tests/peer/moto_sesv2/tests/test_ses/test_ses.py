# Excerpt of moto 5.2.5 tests/test_ses/test_ses.py (Apache-2.0, see ../../LICENSE): its
# imports that get_raw_email needs and get_raw_email itself (lines 449-461), verbatim.
# The rest of that file (SES v1 tests, importing further moto test helpers) is not vendored.
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText


def get_raw_email():
    message = MIMEMultipart()
    message["Subject"] = "Test"
    message["From"] = "test@example.com"
    message["To"] = "to@example.com, foo@example.com"
    # Message body
    part = MIMEText("test file attached")
    message.attach(part)
    # Attachment
    part = MIMEText("contents of test file here")
    part.add_header("Content-Disposition", "attachment; filename=test.txt")
    message.attach(part)
    return message
