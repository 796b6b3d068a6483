# stm32-kms-sign.bbclass: sign STM32MP FSBL images with keys that stay in AWS KMS
# or a PKCS#11 HSM. Two ways to use it with meta-st-stm32mp's TF-A recipe.
#
# 1) One phase (the build host can reach KMS): keep ST's recipe as it is and
#    point its SIGN_TOOL at stm32-sign-compat; the "private key" becomes a URI.
#
#      SIGN_TOOL = "stm32-sign-compat"
#      SIGN_KEY = "awskms:///alias/stm32mp25-oem-k0"     # or pkcs11:...?module-path=...
#      SIGN_KEY_PATH = "${TOPDIR}/keys"                   # publicKey00..07.pem
#
#    The recipe's call then runs unchanged:
#      ${SIGN_TOOL} -bin <tf-a>.stm32 -o <tf-a>_Signed.stm32 --password ${SIGN_KEY_PASS} \
#          --public-key $(ls -1 ${SIGN_KEY_PATH}/publicKey*.pem | tr '\n' '\t') \
#          --private-key ${SIGN_KEY} --type fsbl --silent ${SIGN_TOOL_EXTRA}
#    With FSBL encryption, the recipe's ${tf_a_encrypt_opts} ${tf_a_sign_of_opt}
#    (--enc-key, --enc-dc, -of 0x80000003) work as they are; --enc-key may also
#    be a pkcs11: URI of the OEM secret as an AES-128 key in the HSM.
#
# 2) Two phases (air-gapped build host): inherit this class. do_stm32_kms_prep
#    writes prepared images and a manifest; the signing operator runs
#    `kms-sign-digest manifest.yaml -o signatures.yaml`; do_stm32_kms_assemble
#    injects and verifies once STM32_KMS_SIGN_SIGNATURES points at the answer.
#    A pkcs11: STM32_KMS_SIGN_KEY_URI names the token and object only: the
#    signing host's signer.yaml holds the module and the PIN source.

STM32_KMS_SIGN_SOC ?= "stm32mp25"
STM32_KMS_SIGN_KEYDIR ?= "${TOPDIR}/keys"
STM32_KMS_SIGN_KEY_INDEX ?= "0"
STM32_KMS_SIGN_KEY_URI ?= "awskms:///alias/stm32mp25-oem-k0"
STM32_KMS_SIGN_WORKDIR ?= "${WORKDIR}/stm32-kms-sign"
STM32_KMS_SIGN_SIGNATURES ?= ""
STM32_KMS_SIGN_OTP ?= ""

DEPENDS += "stm32-kms-sign-native"

do_stm32_kms_prep() {
    stm32-kms-sign-prep "${STM32_KMS_SIGN_SOC}" "${STM32_KMS_SIGN_WORKDIR}" \
        "${STM32_KMS_SIGN_KEYDIR}" "${STM32_KMS_SIGN_KEY_INDEX}" "${STM32_KMS_SIGN_KEY_URI}" \
        ${DEPLOYDIR}/arm-trusted-firmware/tf-a-*.stm32
    install -d ${DEPLOY_DIR_IMAGE}/stm32-kms-sign
    install -m 0644 ${STM32_KMS_SIGN_WORKDIR}/prepared/manifest.yaml ${DEPLOY_DIR_IMAGE}/stm32-kms-sign/
}
addtask stm32_kms_prep after do_deploy

do_stm32_kms_assemble() {
    if [ -z "${STM32_KMS_SIGN_SIGNATURES}" ]; then
        bbfatal "set STM32_KMS_SIGN_SIGNATURES to the signatures.yaml returned by the signing operator"
    fi
    stm32-kms-sign-assemble "${STM32_KMS_SIGN_WORKDIR}" "${STM32_KMS_SIGN_SIGNATURES}" \
        "${DEPLOY_DIR_IMAGE}/arm-trusted-firmware" ${STM32_KMS_SIGN_OTP}
}
addtask stm32_kms_assemble after do_stm32_kms_prep
do_stm32_kms_assemble[nostamp] = "1"
