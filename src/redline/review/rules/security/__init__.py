"""Security rules (``SE###``): secrets in plain sight, containers that can own their node, and exposure.

Two principles keep these findings trustworthy:

* A value is only secret material when it is *plaintext*: references (``secretKeyRef``), interpolation
  placeholders (``${VAR}``, ``$(VAR)``), file paths (``/run/secrets/db``) and secret-manager references
  are the fix, not the problem (see :mod:`redline.review.rules._util`). A well-known default password
  (``postgres``, ``changeme``) *is* reported: it is worse than a random one, since it needs no leak.
* No finding ever prints a secret: values are masked to their first two characters.
"""

from redline.review.rules.security import (
    se001_secret_in_env,
    se002_credentials_in_url,
    se003_high_entropy_env_value,
    se004_secret_in_configmap,
    se005_privileged_container,
    se006_runs_as_root,
    se007_run_as_non_root_not_enforced,
    se008_privilege_escalation_allowed,
    se009_host_network,
    se010_host_pid,
    se011_host_path_volume,
    se012_container_runtime_socket,
    se013_ingress_without_tls,
    se014_datastore_exposed,
    se015_no_network_policy_for_datastore,
    se016_dangerous_capabilities,
    se017_secret_in_arguments,
    se018_secret_in_probe,
    se019_secret_manifest_committed,
)

__all__ = [
    "se001_secret_in_env",
    "se002_credentials_in_url",
    "se003_high_entropy_env_value",
    "se004_secret_in_configmap",
    "se005_privileged_container",
    "se006_runs_as_root",
    "se007_run_as_non_root_not_enforced",
    "se008_privilege_escalation_allowed",
    "se009_host_network",
    "se010_host_pid",
    "se011_host_path_volume",
    "se012_container_runtime_socket",
    "se013_ingress_without_tls",
    "se014_datastore_exposed",
    "se015_no_network_policy_for_datastore",
    "se016_dangerous_capabilities",
    "se017_secret_in_arguments",
    "se018_secret_in_probe",
    "se019_secret_manifest_committed",
]
