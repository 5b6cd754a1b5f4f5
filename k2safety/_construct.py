"""Build already-valid pydantic models without validating them again, and pickle them lightly.

``check()`` assembles a dozen small models per profile from values that are valid by
construction. Pydantic's own ``model_construct`` is general (defaults, aliases, private
attributes) and costs about 4 µs a call, a quarter of a whole check; this does the same for our
plain frozen models in a fraction of that. tests/test_construct.py holds it to equality with
validated models, so a pydantic change that breaks it fails there first.

:class:`Lightly` gives the same shortcut to pickling. Pydantic pickles a model as a state of
four entries and restores it through ``__setstate__``; a batch over several processes pickles
every report in a worker and unpickles it in the caller, where that cost caps how much more
processes can give. Our models have no extra or private attributes, so their fields are all
there is to send.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

__all__ = ["Lightly", "construct"]

Model = TypeVar("Model", bound=BaseModel)

_setattr = object.__setattr__


def construct(cls: type[Model], **values: Any) -> Model:
    """An instance of ``cls`` holding ``values``, which must name every field, unvalidated."""
    return _rebuilt(cls, values)


def _rebuilt(cls: type[Model], values: dict[str, Any], fields_set: set[str] | None = None) -> Model:
    instance = cls.__new__(cls)
    _setattr(instance, "__dict__", values)
    _setattr(instance, "__pydantic_fields_set__", fields_set or _all_fields(cls))
    _setattr(instance, "__pydantic_extra__", None)
    _setattr(instance, "__pydantic_private__", None)
    return instance


# One set per class, shared by its instances: the models are frozen, so pydantic never adds to
# it (model_copy copies it first), and a set per instance was a fifth of a cached finding's size.
def _all_fields(cls: type[BaseModel]) -> set[str]:
    fields = _ALL_FIELDS.get(cls)
    if fields is None:
        fields = _ALL_FIELDS.setdefault(cls, set(cls.__pydantic_fields__))
    return fields


_ALL_FIELDS: dict[type[BaseModel], set[str]] = {}


class Lightly(BaseModel):
    """A model (frozen, no extra or private attributes) that pickles as its fields alone."""

    def __reduce__(self) -> tuple[Any, ...]:
        values = self.__dict__
        fields_set = self.__pydantic_fields_set__
        if len(fields_set) == len(values):  # all given, as for every model check() builds
            return _rebuilt, (type(self), values)
        return _rebuilt, (type(self), values, fields_set)
