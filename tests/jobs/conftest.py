from tests.api.conftest import (acme, admin_actor, alice, api_settings, as_alice,  # noqa: F401
                                as_bob, as_charlie, bob, charlie, enclave, globex, poam,
                                web_settings)
