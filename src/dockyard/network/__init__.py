"""Networks (CNM): networks, endpoints, sandboxes, IPAM, drivers, published ports, DNS."""
