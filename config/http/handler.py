"""Django's WSGI handler, whose request takes from the Content-Type only a charset of ours.

Django builds the request's encoding from the Content-Type's `charset` before any middleware
runs, for any name `codecs.lookup` knows, and two client inputs broke that step itself, so no
middleware could answer them (measured on the Procfile server, both a 500):
- `charset=bz2` with any query string: setting `request.encoding` evaluates `request.GET`
  (its `hasattr` check on a cached property), which decodes the query with the bz2 codec and
  raises LookupError;
- an RFC 2231 parameter naming an unknown charset (`charset*=nope''utf-8`): Django's header
  parser raises ValueError.
This request takes the encoding only from config/http/charsets.py's table (UTF-8/16/32), and keeps
the bare media type of a Content-Type Django cannot parse, marking it; config.http.middleware
answers 415 for either when a body comes with it.
Written against Django 5.2 (`WSGIHandler.request_class`, `HttpRequest._set_content_type_params`,
`_encoding`); tests/security/test_body_encodings.py fails first when Django leaves that range.
"""
from __future__ import annotations

import django
from django.core.handlers.wsgi import WSGIHandler as DjangoWSGIHandler
from django.core.handlers.wsgi import WSGIRequest
from django.utils.http import parse_header_parameters

from config.http.charsets import text_charset


class Request(WSGIRequest):
    """WSGIRequest whose encoding is only ever one of config.http.charsets' codecs."""

    content_type_malformed = False

    def _set_content_type_params(self, meta) -> None:
        content_type = meta.get("CONTENT_TYPE", "")
        try:
            self.content_type, self.content_params = parse_header_parameters(content_type)
        except ValueError:
            self.content_type_malformed = True
            self.content_type, self.content_params = content_type.split(";", 1)[0].strip().lower(), {}
        charset = self.content_params.get("charset")
        # Directly, not through the `encoding` setter: nothing is decoded yet, and the setter
        # would parse the query string to find out.
        self._encoding = text_charset(charset) if charset is not None else None


class WSGIHandler(DjangoWSGIHandler):
    """Django's WSGI handler building `Request`s."""

    request_class = Request


def get_wsgi_application() -> WSGIHandler:
    """django.core.wsgi.get_wsgi_application, with this module's handler."""
    django.setup(set_prefix=False)
    return WSGIHandler()
