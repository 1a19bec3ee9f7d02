import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_settings(env_overrides, code):
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")}
    env.update(env_overrides)
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    # DATABASE_URL keeps the child from starting an embedded server of its own.
    env.setdefault("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
    return subprocess.run(
        [sys.executable, "-c", f"from django.conf import settings; {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_secret_key_with_dollar_signs_is_read_verbatim():
    key = "$abc$def-#%^&*()"
    result = run_settings({"DEBUG": "False", "SECRET_KEY": key}, "print(settings.SECRET_KEY)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == key


def test_production_refuses_to_start_without_a_secret_key():
    result = run_settings({"DEBUG": "False"}, "print(settings.SECRET_KEY)")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_chinese_and_shanghai_time_are_the_defaults(settings):
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ is True


def test_production_settings_pass_the_deploy_check():
    # The browser tests' DJANGO_ALLOW_ASYNC_UNSAFE is never set in a deployment.
    dropped = ("SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(
        {
            "DEBUG": "False",
            "SECRET_KEY": "k$" + "x7Qp2mZr9LwT4vYb8NcH1sJ6dFgK3aE5uR0iO" * 2,
            "ALLOWED_HOSTS": "zhucun.example.gov.cn",
            "DJANGO_SETTINGS_MODULE": "config.settings",
        }
    )
    env.setdefault("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
