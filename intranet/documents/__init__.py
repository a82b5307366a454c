"""Printed documents (ReportLab): fonts, the base document class, downloads, the CLI."""

from intranet.documents.base import Document, EmptyDocument, Part, esc, ru_date, safe_filename
from intranet.documents.fonts import FontsUnavailable, register_fonts
from intranet.documents.http import pdf_response

__all__ = [
    "Document",
    "EmptyDocument",
    "FontsUnavailable",
    "Part",
    "esc",
    "pdf_response",
    "register_fonts",
    "ru_date",
    "safe_filename",
]
