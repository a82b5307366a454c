"""WSGI entry point for any WSGI server (waitress, gunicorn, uwsgi)."""

from intranet import create_app

app = create_app()
