"""PDF from a rendered .docx: LibreOffice (Debian package ``libreoffice-writer-nogui``) converts it headless on the
server, so the PDF is the Word document, page for page, from the same template.

- One conversion at a time in this process (a lock); each in its own temporary folder with its own LibreOffice
  profile (``-env:UserInstallation``), so a second server, a test worker or a crashed run never shares a profile;
  the folder is removed afterwards.
- A time limit (:data:`TIMEOUT`); a conversion that runs over is killed and refused in Chinese.
- Where LibreOffice is not installed, :func:`available` says so and :func:`convert` refuses with what to do
  (the Word document still works). ``bash run.sh`` and ``tests/run.sh`` install it when missing.
One conversion of the two-page 资助协议 took 1.2–1.6 s on the quiet 2-core machine and about 7 s with the machine
under a load of 5 (tests/test_documents_pdf.py prints it). LibreOffice is started per conversion (no resident
office process to keep alive or to leak memory).
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import threading
from pathlib import Path

from core.platform.errors import HubError

TIMEOUT = 120  # seconds one conversion may take
ENGINES = ("soffice", "libreoffice")
MISSING = ("服务器未安装 PDF 转换组件(LibreOffice),暂时只能下载 Word 版;"
           "请管理员运行 bash run.sh(或 apt-get install libreoffice-writer-nogui)后重试")
_LOCK = threading.Lock()


class PdfUnavailable(HubError):
    """No PDF now: the engine is missing, ran over its time or failed on this document."""


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


def convert(docx: bytes, *, timeout: float = TIMEOUT) -> bytes:
    """The PDF of a .docx (bytes in, bytes out)."""
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
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp,
                                env={**os.environ, "HOME": tmp}, start_new_session=True)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            _stop(proc)
            raise PdfUnavailable(f"PDF 转换超过 {timeout:g} 秒未完成,已停止;请稍后重试,或先下载 Word 版") from exc
        result = folder / "out" / "document.pdf"
        if proc.returncode != 0 or not result.exists():
            detail = (err or out or b"").decode("utf-8", "replace").strip().splitlines()
            raise PdfUnavailable("PDF 转换失败,请先下载 Word 版" + (f"({detail[-1][:120]})" if detail else ""))
        return result.read_bytes()


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
