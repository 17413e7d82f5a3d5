"""firstpatch.report"""
