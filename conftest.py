"""Collection without the optional extras: pytest imports every module for its doctests, and
k2safety.dask and k2safety.service need their extras (`dask`, `service`). With only the `test`
extra installed they are left out here; their tests skip themselves, saying why."""

import importlib.util

collect_ignore = [] if importlib.util.find_spec("dask") else ["k2safety/dask.py"]
if importlib.util.find_spec("starlette") is None:
    collect_ignore.append("k2safety/service")
