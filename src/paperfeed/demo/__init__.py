"""The bundled demo sample: real arXiv listings and the seed page (see README.md here)."""
