"""What Python callers of a client generated from openapi/konstantly.yaml rely on.

`make check-spec` generates the client with openapi-python-client into a
temporary folder and runs this script on it: `python contract.py FOLDER`, where
FOLDER holds the `konstantly_openapi` package. The checks mirror
`contract.ts`, so both languages keep the same promises.
"""

from __future__ import annotations

import enum
import importlib
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    """Import the freshly generated client and check the shapes callers use.

    Args:
        argv: the command line; `argv[1]` is the folder that holds the package.

    Returns:
        0 when every check holds; an `AssertionError` ends the run otherwise.
    """
    folder = Path(argv[1]).resolve()
    sys.path.insert(0, str(folder))
    client = importlib.import_module("konstantly_openapi")
    models = importlib.import_module("konstantly_openapi.models")

    # The installed project also ships a konstantly_openapi; check the new one.
    assert Path(client.__file__).is_relative_to(folder), client.__file__

    # `measure` is an open enum: the known units come back as members of
    # DeadlinePeriodMeasureType0, which the facade imports by that name ...
    known_units = models.DeadlinePeriodMeasureType0
    assert issubclass(known_units, enum.Enum)
    assert {unit.value for unit in known_units} == {"hours", "days", "weeks", "months"}
    known = models.DeadlinePeriod.from_dict({"measure": "days", "value": 3})
    assert known.measure is known_units.DAYS, repr(known.measure)

    # ... and a unit the spec does not list yet is kept as the plain string.
    unknown = models.DeadlinePeriod.from_dict({"measure": "years", "value": 1})
    assert type(unknown.measure) is str, repr(unknown.measure)
    assert unknown.measure == "years"
    assert unknown.to_dict() == {"measure": "years", "value": 1}
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
