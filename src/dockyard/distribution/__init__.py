"""Registry client: pull and push over the Docker registry v2 / OCI distribution API.

pull.pull(ref, client=, content=, snapshotter=)    docker pull [-a] [--platform]
push.push(ref, client=, content=, manifest_digest=) docker push
inspect.distribution_inspect / manifest_inspect     GET /distribution/{name}/json
client.RegistryClient                               the API: manifests, tags, blobs
transport.Transport                                 session, endpoints, 401 round, retries
auth / credentials / hosts                          tokens, config.json, TLS and schemes
platforms / manifests / labels / progress           the records and rules around them
"""
