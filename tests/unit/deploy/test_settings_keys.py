"""Every setting deploy/ passes is one the service reads, with a value it accepts.

pydantic-settings ignores an unknown ``CARE_CONTRACTS_*`` variable (``extra="ignore"``), so a
misspelt or renamed setting would silently fall back to its default in production. Here each
key must name a ``Settings`` field, and each source's values, taken together, must validate.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from care_contracts.services.settings import Settings
from tests.unit.deploy.deploy_files import (
    COMPOSE,
    SETTINGS_PREFIX,
    containerfile,
    k8s_documents,
    load_yaml,
    setting_field,
)


class _GivenOnly(Settings):
    """Settings from the values given alone: no environment variables, no .env file."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def _validated(env: dict[str, str]) -> Settings:
    unknown = sorted(key for key in env if setting_field(key) is None)
    assert not unknown, f"not Settings fields: {unknown}"
    given: dict[str, Any] = {str(setting_field(key)): value for key, value in env.items()}
    return _GivenOnly(**given)


def _compose_instances() -> dict[str, dict[str, str]]:
    services = load_yaml(COMPOSE)["services"]
    return {name: svc["environment"] for name, svc in services.items() if "build" in svc}


def _k8s(kind: str) -> dict[str, Any]:
    return next(doc for _, doc in k8s_documents() if doc["kind"] == kind)


def _containerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for instruction in containerfile():
        if instruction.keyword == "ENV":
            env |= dict(word.split("=", 1) for word in instruction.words())
    return {key: value for key, value in env.items() if key.startswith(SETTINGS_PREFIX)}


def test_an_unknown_key_is_caught() -> None:
    """The checks below mean something: a misspelt setting fails, it is not ignored."""
    with pytest.raises(AssertionError, match="CARE_CONTRACTS_STREAM_REPLICA"):
        _validated({"CARE_CONTRACTS_STREAM_REPLICA": "3"})


@pytest.mark.parametrize("instance", sorted(_compose_instances()))
def test_each_compose_instance_passes_only_real_settings(instance: str) -> None:
    env = _compose_instances()[instance]
    settings = _validated(env)
    assert settings.stream_replicas == 3
    assert settings.instance_id == instance
    assert settings.uses_postgres
    assert settings.nats_url is not None


def test_the_kubernetes_configmap_and_secret_pass_only_real_settings() -> None:
    configmap, secret = _k8s("ConfigMap")["data"], _k8s("Secret")["stringData"]
    assert not configmap.keys() & secret.keys(), "one source per setting"
    container = _k8s("Deployment")["spec"]["template"]["spec"]["containers"][0]
    from_pod = {item["name"]: "pod-name" for item in container["env"]}
    settings = _validated({**configmap, **secret, **from_pod})
    assert settings.stream_replicas == 3
    assert settings.uses_postgres
    assert settings.nats_url is not None


def test_the_containerfile_sets_only_real_settings() -> None:
    env = _containerfile_env()
    assert env, "the image sets DATA_DIR"
    assert str(_validated(env).data_dir) == env["CARE_CONTRACTS_DATA_DIR"]


def test_the_image_kubernetes_and_compose_agree_on_data_dir() -> None:
    data_dir = _containerfile_env()["CARE_CONTRACTS_DATA_DIR"]
    assert _k8s("ConfigMap")["data"]["CARE_CONTRACTS_DATA_DIR"] == data_dir
    for env in _compose_instances().values():
        assert env["CARE_CONTRACTS_DATA_DIR"] == data_dir
