"""gunicorn's settings for the web process (the Procfile's `web`):

    gunicorn -c python:connector.web.gunicorn_conf --bind 0.0.0.0:$PORT 'connector.web:create_app()'

gunicorn's own lines (boot, workers, errors) and the app's go to stdout as `[logging]` says,
JSON by default (`connector.logs`), through the same redaction as the app's request lines.
gunicorn's access lines are held back: the app writes one line per request itself, carrying
the request id (`connector.web.request_log`). Anything else gunicorn takes from its command line.
"""

from __future__ import annotations

import logging

from connector.config import load_settings
from connector.logs import dict_config
from connector.web.redaction import RedactingFilter

_logging = load_settings().logging

logconfig_dict = dict_config(_logging.level, _logging.format, "stdout", {"redact": RedactingFilter})
loglevel = _logging.level.lower()
logging.captureWarnings(True)  # a library's warning is a JSON line too (py.warnings)
