from audioguide.cli import main

# Guarded: processes a build spawns (a local Dask cluster's workers) import this module again.
if __name__ == "__main__":
    main()
