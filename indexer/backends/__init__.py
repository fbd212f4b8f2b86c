"""Where an index lives: the backend interface, the local backend and the factory that picks one."""
