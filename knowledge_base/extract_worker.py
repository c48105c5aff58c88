"""Reading a PDF's or a DOCX's text, in a process of its own with a memory and CPU-time limit.

A crafted file (a PDF of many huge streams, a DOCX past what the zip guard can see) must not take the web
process's memory or time: `knowledge_base.extract` runs this module as `python -m knowledge_base.extract_worker
<kind>` with the file on stdin and reads the text from stdout. The child sets its own limits first (no
preexec_fn in a threaded server) and imports nothing of Django, so it starts in a fraction of a second.
Exit status: 0 text written, 2 the file could not be read (broken, encrypted), killed: past a limit.
"""

from __future__ import annotations

import io
import resource
import sys
import zipfile


def read_pdf(content: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(content), strict=False)
    if reader.is_encrypted:
        raise ValueError("encrypted")
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def read_docx(content: bytes) -> str:
    import docx

    if not zipfile.is_zipfile(io.BytesIO(content)):
        raise ValueError("not a zip")
    document = docx.Document(io.BytesIO(content))
    return "\n".join(paragraph.text for paragraph in document.paragraphs)


READERS = {"pdf": read_pdf, "docx": read_docx}


def _ran_out_of_memory(memory_mb: int) -> bool:
    """Whether a reader's failure came from the memory limit: libxml2 (python-docx's lxml) reports an allocation
    that failed as a parse error ("unknown error", line 0), not as MemoryError. An allocation fails only when the
    address space is near the limit, so a failure after the peak came within a tenth of it is the limit's."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            peak_kb = next(int(line.split()[1]) for line in status if line.startswith("VmPeak:"))
    except (OSError, StopIteration, ValueError):  # not Linux: only MemoryError counts
        return False
    return peak_kb * 1024 >= memory_mb * 1024 * 1024 * 0.9


def main(argv: list[str]) -> int:
    kind, memory_mb, cpu_seconds = argv[0], int(argv[1]), int(argv[2])
    resource.setrlimit(resource.RLIMIT_AS, (memory_mb * 1024 * 1024,) * 2)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    content = sys.stdin.buffer.read()
    try:
        text = READERS[kind](content)
    except MemoryError:
        return 3
    except Exception:  # pypdf/python-docx raise many types on broken files
        return 3 if _ran_out_of_memory(memory_mb) else 2
    sys.stdout.buffer.write(text.encode("utf-8", "replace"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
