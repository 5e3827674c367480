import pytest
from django.core.exceptions import ValidationError

from sessions_app.names import is_valid_name, validate_name


@pytest.mark.parametrize("name", ["scratch", "A", "project_123", "_x", "a-b_c-9"])
def test_valid_names(name):
    assert is_valid_name(name)
    validate_name(name)


@pytest.mark.parametrize(
    "name",
    ["", "..", "../escape", "has/slash", "a\\b", "has spaces", "has.dot", ".hidden", "-x",
     "nul\x00", "tab\t", "ünï", None, 5],
)  # fmt: skip
def test_invalid_names(name):
    assert not is_valid_name(name)
    with pytest.raises(ValidationError):
        validate_name(name)
