from redline.cli.app import main

main()
