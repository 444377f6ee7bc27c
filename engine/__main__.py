from engine.entrypoints.cli.main import main

main()
