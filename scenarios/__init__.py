"""The scenario library, installed with the package as ``engine.library`` (data only: the YAML
files beside this one). ``ustsim scenarios`` lists them; ``ustsim run baseline`` runs one by name;
a user file can ``extends: baseline``."""
