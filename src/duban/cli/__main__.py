from duban.cli.console import main

main()
