# An import-heavy Python start-up: a web/CLI-style program's usual standard-library imports.
import argparse, asyncio, concurrent.futures, dataclasses, datetime, decimal, difflib  # noqa
import email.mime.multipart, email.parser, http.client, http.server, json, logging  # noqa
import multiprocessing, pathlib, pydoc, tarfile, typing, unittest, urllib.request  # noqa
import xml.dom.minidom, xml.etree.ElementTree, zipfile  # noqa
