print("softphoned")
