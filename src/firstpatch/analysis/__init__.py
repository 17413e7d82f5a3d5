"""firstpatch.analysis"""
