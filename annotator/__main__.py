"""Allow ``python -m annotator``: the installed command's entry point, :func:`console`.

Through ``console`` the process ends with ``os._exit`` and main's code. Ending it with
``SystemExit`` instead would let CPython's ``-m`` runner end the process by SIGINT after an
interrupt that reached the program inside an ``exec`` of a string, whatever code it returned.
"""

from annotator.cli import console

if __name__ == "__main__":
    console()
