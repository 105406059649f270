"""WSGI entry point for gunicorn (deploy/gunicorn.conf.py), with the request body limit."""

import os

from django.core.wsgi import get_wsgi_application

from chatproject.body_limit import WsgiBodyLimit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatproject.settings")

application = WsgiBodyLimit(get_wsgi_application())
