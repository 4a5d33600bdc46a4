import pytest

torch = pytest.importorskip("torch", reason="trillion.nn needs the torch extra (installed by `make test`)")
