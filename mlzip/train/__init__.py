"""Training code (torch). Never imported by the compress/decompress path: the runtime is mlzip.nn."""
