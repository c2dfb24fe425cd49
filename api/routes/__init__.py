"""The API's routes, one module per group; `api.app` mounts each module's `router`."""
