"""Container image references as stable asset keys (used by the Trivy and Grype importers).

An image is rebuilt and re-tagged every month; its weaknesses stay the same item. So the
asset key is the repository without tag or digest, and Docker Hub's implicit prefixes are
dropped so that ``redis``, ``library/redis`` and ``docker.io/library/redis`` are one asset.
"""

from __future__ import annotations

import re

_DOCKER_HUB = ("docker.io/", "index.docker.io/", "registry-1.docker.io/")
# Trivy targets name the image then the OS: "myapp:1.2 (debian 10.13)".
_OS_SUFFIX = re.compile(r"\s+\([^()]*\)\s*$")


def strip_os_suffix(target: str) -> str:
    return _OS_SUFFIX.sub("", target).strip()


def image_key(reference: str) -> str:
    """'docker.io/library/redis:6.0.5' -> 'redis';
    'localhost:5000/app@sha256:ab' -> 'localhost:5000/app'.
    """
    ref = reference.strip()
    ref = ref.split("@", 1)[0]  # digest
    slash = ref.rfind("/")
    colon = ref.rfind(":")
    if colon > slash:  # a colon after the last slash is a tag; before it, a registry port
        ref = ref[:colon]
    ref = ref.lower()
    for prefix in _DOCKER_HUB:
        if ref.startswith(prefix):
            ref = ref[len(prefix):]
            break
    if ref.startswith("library/") and ref.count("/") == 1:
        ref = ref[len("library/"):]
    return ref
