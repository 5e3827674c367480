import re

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_creates_admin_once_and_prints_the_password_once(capsys):
    call_command("ensure_admin")
    first = capsys.readouterr().out
    password = re.search(r"Password \(shown once\): (\S+)", first).group(1)
    user = get_user_model().objects.get(username="admin")
    assert user.is_superuser and user.is_staff
    assert authenticate(username="admin", password=password) == user

    call_command("ensure_admin")
    second = capsys.readouterr().out
    assert "already exists" in second
    assert password not in second and "Password" not in second
    # The existing password still works: the second run left the user alone.
    assert authenticate(username="admin", password=password) == user
    assert get_user_model().objects.filter(username="admin").count() == 1


def test_username_option(capsys):
    call_command("ensure_admin", username="ops")
    assert get_user_model().objects.get(username="ops").is_superuser
    assert "Created superuser 'ops'" in capsys.readouterr().out


def test_generated_passwords_differ(capsys):
    call_command("ensure_admin", username="a1")
    call_command("ensure_admin", username="a2")
    passwords = re.findall(r"Password \(shown once\): (\S+)", capsys.readouterr().out)
    assert len(passwords) == 2 and passwords[0] != passwords[1]
    assert all(len(p) >= 16 for p in passwords)
