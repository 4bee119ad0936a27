"""The Elasticsearch indices targeting writes: alerts and inspection results (mappings generated).

Importing this module registers the types with ``streams.es_io``, so ``ensure_indices`` creates them.
"""

from __future__ import annotations

from sekisho.settings import Settings
from streams import es_io
from targeting.alerts import Alert
from targeting.feedback import InspectionResult

ALERT_TYPE = "alert"
RESULT_TYPE = "inspection_result"
es_io.register_type(ALERT_TYPE, Alert)
es_io.register_type(RESULT_TYPE, InspectionResult)


def ensure(settings: Settings | None = None) -> None:
    es_io.ensure_index(ALERT_TYPE, settings)
    es_io.ensure_index(RESULT_TYPE, settings)
