"""MDelivery's service-provider API (seed 003): Postroom plays the service provider."""
