"""Writing and fingerprinting files: atomic folders and files, SHA-256 of a file.

The bottom layer with :mod:`framework.errors`: it imports nothing else of the framework.
"""

from framework.io.files import file_sha256, write_text_atomic
from framework.io.folder import write_folder

__all__ = ["file_sha256", "write_folder", "write_text_atomic"]
