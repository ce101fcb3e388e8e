package manifest

const (
	testDigest  = "sha256:79749934da74b31f67c08764f15f6354ea8c8facc20d976444a75d53e6d7bb80"
	otherDigest = "sha256:23fec394b1f967c279ba8c4c9acba6b0a406e0aeae23bb8a89ccd6c179b98def"
)
