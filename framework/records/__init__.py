"""Result records: one ``result.json`` per run, written atomically, with provenance."""

from framework.records.provenance import provenance
from framework.records.record import failed_record, finished_record, ok_record, write_artifacts, write_record

__all__ = ["provenance", "ok_record", "failed_record", "finished_record", "write_artifacts", "write_record"]
