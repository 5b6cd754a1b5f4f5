"""Build already-valid pydantic models without validating them again.

``check()`` assembles a dozen small models per profile from values that are valid by
construction. Pydantic's own ``model_construct`` is general (defaults, aliases, private
attributes) and costs about 4 µs a call, a third of a whole check; this does the same for our
plain frozen models in a fraction of that. tests/test_construct.py holds it to equality with
validated models, so a pydantic change that breaks it fails there first.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

__all__ = ["construct"]

Model = TypeVar("Model", bound=BaseModel)

_setattr = object.__setattr__


def construct(cls: type[Model], **values: Any) -> Model:
    """An instance of ``cls`` holding ``values``, which must name every field, unvalidated."""
    instance = cls.__new__(cls)
    _setattr(instance, "__dict__", values)
    _setattr(instance, "__pydantic_fields_set__", set(values))
    _setattr(instance, "__pydantic_extra__", None)
    _setattr(instance, "__pydantic_private__", None)
    return instance
