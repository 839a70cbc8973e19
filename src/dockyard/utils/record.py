"""Records (frozen or not) for the runtime, without importing `dataclasses`.

`dataclasses` pulls in `inspect` (and with it `ast`, `dis`, `tokenize`...): about 10 ms of the
runtime's start-up, which is a feature (DESIGN.md §4). This is the small part of it we use:
`record` (keyword or positional construction, defaults, `field(default_factory=...)`, eq,
repr, hash when frozen), `replace` and `asdict`. Type checkers see the real dataclasses (the
TYPE_CHECKING branch), so the records are checked exactly as dataclasses would be.
"""

from __future__ import annotations

TYPE_CHECKING = False  # mypy treats this name as true; at run time nothing is imported
if TYPE_CHECKING:
    from dataclasses import asdict, field, replace
    from dataclasses import dataclass as record
else:
    _MISSING = object()

    class _Factory:
        __slots__ = ("make",)

        def __init__(self, make):
            self.make = make

    def field(*, default_factory):
        return _Factory(default_factory)

    def _init(self, *args, **kwargs):
        cls = type(self)
        names = cls.__record_fields__
        if len(args) > len(names):
            raise TypeError(f"{cls.__name__}() takes {len(names)} arguments, got {len(args)}")
        setter = object.__setattr__
        for name, value in zip(names, args, strict=False):
            setter(self, name, value)
        defaults = cls.__record_defaults__
        for name in names[len(args) :]:
            if name in kwargs:
                value = kwargs.pop(name)
            elif name in defaults:
                value = defaults[name]
                if isinstance(value, _Factory):
                    value = value.make()
            else:
                raise TypeError(f"{cls.__name__}() missing argument: {name!r}")
            setter(self, name, value)
        if kwargs:
            raise TypeError(f"{cls.__name__}() got unexpected arguments: {sorted(kwargs)}")

    def _astuple(self):
        return tuple(getattr(self, n) for n in self.__record_fields__)

    def _eq(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return _astuple(self) == _astuple(other)

    def _repr(self):
        inner = ", ".join(f"{n}={getattr(self, n)!r}" for n in self.__record_fields__)
        return f"{type(self).__name__}({inner})"

    def _hash(self):
        return hash(_astuple(self))

    def _frozen_setattr(self, name, value):
        raise AttributeError(f"cannot assign to field {name!r} of a frozen record")

    def record(cls=None, /, *, frozen=False, kw_only=False):
        # kw_only is for the type checker (dataclasses refuses positional arguments then);
        # at run time a record takes keywords either way.
        def wrap(cls):
            fields = list(getattr(cls, "__record_fields__", ()))
            defaults = dict(getattr(cls, "__record_defaults__", {}))
            for name, annotation in cls.__dict__.get("__annotations__", {}).items():  # noqa: RUF063 - inspect is the import this module avoids
                if str(annotation).startswith("ClassVar"):
                    continue
                if name not in fields:
                    fields.append(name)
                if name in cls.__dict__:
                    defaults[name] = cls.__dict__[name]
                    if isinstance(defaults[name], _Factory):
                        delattr(cls, name)
            cls.__record_fields__ = tuple(fields)
            cls.__record_defaults__ = defaults
            cls.__init__ = _init
            cls.__eq__ = _eq
            cls.__repr__ = _repr
            if frozen:
                cls.__hash__ = _hash
                cls.__setattr__ = _frozen_setattr
                cls.__delattr__ = _frozen_setattr
            else:
                cls.__hash__ = None
            return cls

        return wrap if cls is None else wrap(cls)

    def replace(obj, /, **changes):
        for name in obj.__record_fields__:
            if name not in changes:
                changes[name] = getattr(obj, name)
        return type(obj)(**changes)

    def _plain(value):
        if hasattr(value, "__record_fields__"):
            return {n: _plain(getattr(value, n)) for n in value.__record_fields__}
        if isinstance(value, list | tuple):
            return type(value)(_plain(v) for v in value)
        if isinstance(value, dict):
            return {k: _plain(v) for k, v in value.items()}
        return value

    def asdict(obj):
        return _plain(obj)


__all__ = ["asdict", "field", "record", "replace"]
