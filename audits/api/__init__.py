"""The versioned HTTP API (/api/v1/): serializers, permissions, thin views and URLs."""
