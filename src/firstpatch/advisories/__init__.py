"""firstpatch.advisories"""
