"""A PDF document (``pdf``): its text layer, read with pypdf.

One file = one clipping whose id is the file stem. The text is the pages'
text joined by blank lines (pypdf's ``extract_text``), so ``source_offset``
is None. The title is the document's ``/Title`` when set, else its first
sentence; ``metadata["pages"]`` is the page count and ``metadata["extractor"]``
the pypdf version. A PDF is recognised by its ``%PDF-`` signature, so one
misnamed ``.txt`` is read as a PDF too. Encrypted PDFs and PDFs without a text
layer (scans, which need OCR first) are refused.
"""
from __future__ import annotations

import io
import logging
from pathlib import Path

import pypdf
from pypdf.errors import PdfReadError, PyPdfError

from ..errors import InputError
from ..model import Clipping
from ._common import first_sentence, source_name, stem
from .registry import register

FORMAT = "pdf"
MAGIC = b"%PDF-"


def read(path: str | Path, data: bytes) -> list[Clipping]:
    src = source_name(path)
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # pypdf warns on every quirk of real PDFs
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise InputError("encrypted PDF: save an unprotected copy first", source=src)
        pages = [(p.extract_text() or "").strip() for p in reader.pages]
        info = reader.metadata
        doc_title = (info.title if info is not None else None) or None
    except InputError:
        raise
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, RecursionError) as e:
        raise InputError(f"cannot read PDF: {e}", source=src) from None
    body = "\n\n".join(p for p in pages if p)
    if not body.strip():
        raise InputError("the PDF has no text layer (a scanned document needs OCR first)", source=src)
    title = doc_title.strip() if isinstance(doc_title, str) and doc_title.strip() else first_sentence(body)
    return [Clipping(
        id=stem(path), text=body, title=title or None, url=None, date=None, collection=None,
        source_file=src, source_format=FORMAT, source_offset=None, source_line=None,
        metadata={"pages": len(pages), "extractor": f"pypdf {pypdf.__version__}"})]


register(FORMAT, suffixes=(".pdf",), read=read, magic=MAGIC, binary=True, description="PDF")
