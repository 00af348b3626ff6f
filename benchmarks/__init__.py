"""The workloads behind every performance figure in the README (run each as a script)."""
