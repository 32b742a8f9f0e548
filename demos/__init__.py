"""Runnable demos: python -m demos.NAME"""
