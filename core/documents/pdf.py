"""PDF from a rendered .docx: LibreOffice (Debian package ``libreoffice-writer-nogui``) converts it headless on the
server, so the PDF is the Word document, page for page, from the same template.

- One conversion at a time in this process (a lock); each in its own temporary folder with its own LibreOffice
  profile (``-env:UserInstallation``), so a second server, a test worker or a crashed run never shares a profile;
  the folder is removed afterwards.
- A time limit (:data:`TIMEOUT`); a conversion that runs over is killed and refused in Chinese.
- Where LibreOffice is not installed, :func:`available` says so and :func:`convert` refuses with what to do
  (the Word document still works). ``bash run.sh`` and ``tests/run.sh`` install it when missing.
- A refusal says in Chinese what to do; LibreOffice's own (English) words go to the log and to
  :attr:`PdfUnavailable.detail`, never onto the screen.
- :func:`convert_cached` keeps the last PDFs made in this process under the digest of the .docx's content (its
  parts, not the zip's timestamps): a second request for an unchanged document converts nothing; a changed record
  renders a different .docx and so a new PDF. A failure is not kept (the next click tries again).
One conversion of the two-page 资助协议 took 1.2–1.6 s on the quiet 2-core machine and about 7 s with the machine
under a load of 5 (tests/test_documents_pdf.py prints it). LibreOffice is started per conversion (no resident
office process to keep alive or to leak memory).
"""
from __future__ import annotations

import hashlib
import io
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import zipfile
from collections import OrderedDict
from pathlib import Path

from core.platform.errors import HubError

TIMEOUT = 120  # seconds one conversion may take
ENGINES = ("soffice", "libreoffice")
MISSING = ("服务器未安装 PDF 转换组件(LibreOffice),暂时只能下载 Word 版;"
           "请管理员运行 bash run.sh(或 apt-get install libreoffice-writer-nogui)后重试")
_LOCK = threading.Lock()
KEEP = 24  # PDFs kept by :func:`convert_cached` (least recently used dropped first)
_made: OrderedDict[tuple, bytes] = OrderedDict()
_made_lock = threading.Lock()
conversions = 0  # conversions run in this process (tests read it)
log = logging.getLogger("hubdesk")


class PdfUnavailable(HubError):
    """No PDF now: the engine is missing, ran over its time or failed on this document. ``str()`` is Chinese;
    ``detail`` holds what LibreOffice said (for the log)."""

    def __init__(self, message: str, detail: str = ""):
        super().__init__(message)
        self.detail = detail


def engine() -> str | None:
    """The LibreOffice executable, or None. ``HUBDESK_SOFFICE`` names another one (empty: none, for tests)."""
    forced = os.environ.get("HUBDESK_SOFFICE")
    if forced is not None:
        return shutil.which(forced) if forced else None
    for name in ENGINES:
        found = shutil.which(name)
        if found:
            return found
    return None


def available() -> bool:
    return engine() is not None


def convert(docx: bytes, *, timeout: float | None = None) -> bytes:
    """The PDF of a .docx (bytes in, bytes out); ``timeout``: :data:`TIMEOUT` unless given."""
    global conversions
    timeout = TIMEOUT if timeout is None else timeout
    exe = engine()
    if exe is None:
        raise PdfUnavailable(MISSING)
    with _LOCK, tempfile.TemporaryDirectory(prefix="hubdesk-pdf-") as tmp:
        folder = Path(tmp)
        source = folder / "document.docx"
        source.write_bytes(docx)
        cmd = [exe, f"-env:UserInstallation={(folder / 'profile').as_uri()}", "--headless", "--norestore",
               "--nolockcheck", "--convert-to", "pdf", "--outdir", str(folder / "out"), str(source)]
        # its own process group: on time-out the wrapper script and soffice.bin below it are stopped together
        conversions += 1
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp,
                                env={**os.environ, "HOME": tmp}, start_new_session=True)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            _stop(proc)
            raise PdfUnavailable(f"PDF 转换超过 {timeout:g} 秒未完成,已停止;请稍后重试,或先下载 Word 版") from exc
        result = folder / "out" / "document.pdf"
        if proc.returncode != 0 or not result.exists():
            lines = (err or out or b"").decode("utf-8", "replace").strip().splitlines()
            detail = f"exit {proc.returncode}: {lines[-1][:300] if lines else ''}"
            log.warning("HubDesk: PDF conversion failed (%s)", detail)
            raise PdfUnavailable("PDF 转换失败,请稍后重试或先下载 Word 版;多次失败请联系管理员查看服务器日志", detail)
        return result.read_bytes()


def digest(docx: bytes) -> str:
    """The .docx's content version: SHA-256 over its parts' names and contents (the zip's timestamps left out,
    so the same record renders the same digest)."""
    h = hashlib.sha256()
    try:
        with zipfile.ZipFile(io.BytesIO(docx)) as z:
            for name in sorted(z.namelist()):
                h.update(name.encode("utf-8") + b"\0" + z.read(name) + b"\0")
    except zipfile.BadZipFile:
        h.update(docx)
    return h.hexdigest()


def convert_cached(docx: bytes, *, tag: tuple = (), timeout: float | None = None) -> bytes:
    """:func:`convert`, once per document version: ``tag`` (the document and record) and the content's
    :func:`digest` find a PDF made before in this process."""
    key = (*tag, digest(docx))
    with _made_lock:
        if key in _made:
            _made.move_to_end(key)
            return _made[key]
    made = convert(docx, timeout=timeout)
    with _made_lock:
        _made[key] = made
        while len(_made) > KEEP:
            _made.popitem(last=False)
    return made


def forget() -> None:
    """Drop the kept PDFs (tests)."""
    with _made_lock:
        _made.clear()


def _stop(proc: subprocess.Popen) -> None:
    """Terminate the conversion's process group, then kill it if it does not end."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.communicate(timeout=5)
            break
        except subprocess.TimeoutExpired:
            continue
