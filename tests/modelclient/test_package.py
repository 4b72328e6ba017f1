"""The package's public surface and its error."""

from __future__ import annotations

import modelclient
from modelclient import ModelError


def test_the_package_exports_exactly_its_public_api_each_with_a_docstring() -> None:
    public = {
        name
        for name, value in vars(modelclient).items()
        if not name.startswith("_") and callable(value)
    }
    assert set(modelclient.__all__) == public
    assert all(getattr(modelclient, name).__doc__ for name in modelclient.__all__)


def test_a_model_error_carries_its_kind_and_status_in_its_repr() -> None:
    error = ModelError("the service failed (HTTP 502)", kind="server", status=502)
    assert (error.kind, error.status) == ("server", 502)
    assert str(error) == "the service failed (HTTP 502)"
    assert repr(error) == ("ModelError('the service failed (HTTP 502)', kind='server', status=502)")
