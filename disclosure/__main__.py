from disclosure.cli import run

run()
