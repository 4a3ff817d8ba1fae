from revline.cli.main import main

main()
